import { createNotificationsApp } from "./routes.ts";

Deno.serve(createNotificationsApp().fetch);
