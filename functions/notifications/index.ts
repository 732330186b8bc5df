import { createNotificationsApp } from "./routes.ts";
import { guardProcess } from "../../shared/process_guard.ts";

guardProcess();
Deno.serve(createNotificationsApp().fetch);
