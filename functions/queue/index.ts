import { createQueueApp } from "./routes.ts";

Deno.serve(createQueueApp().fetch);
