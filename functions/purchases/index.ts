import { createPurchasesApp } from "./routes.ts";
import { guardProcess } from "../../shared/process_guard.ts";

guardProcess();
Deno.serve(createPurchasesApp().fetch);
