// The cold-start floor of the stack itself: the smallest function hono and zod
// allow (one validated route), booted like the real ones.
import { Hono } from "hono";
import { z } from "zod";

const Body = z.object({ name: z.string().min(1) });
const app = new Hono();
app.post("/stack", async (c) => c.json(Body.parse(await c.req.json())));
app.options("*", (c) => c.body(null, 204));
Deno.serve(app.fetch);
