import { createTicketsApp } from "./routes.ts";

Deno.serve(createTicketsApp().fetch);
