import { createEventsApp } from "./routes.ts";

Deno.serve(createEventsApp().fetch);
