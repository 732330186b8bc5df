import { createEventsApp } from "./routes.ts";
import { guardProcess } from "../../shared/process_guard.ts";

guardProcess();
Deno.serve(createEventsApp().fetch);
