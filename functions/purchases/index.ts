import { createPurchasesApp } from "./routes.ts";

Deno.serve(createPurchasesApp().fetch);
