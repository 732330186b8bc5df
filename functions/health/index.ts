import { createHealthApp } from "./routes.ts";

Deno.serve(createHealthApp().fetch);
