import { createTicketsApp } from "./routes.ts";
import { guardProcess } from "../../shared/process_guard.ts";

guardProcess();
Deno.serve(createTicketsApp().fetch);
