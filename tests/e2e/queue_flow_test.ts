/**
 * End to end through the waiting room, as the README's supabase-js example
 * does it: the local gateway as a subprocess (its own database, the real
 * Upstash proxy over Redis), an admin turns the queue on, the buyer is refused
 * without a token, joins, polls until admitted, buys with the token, pays at
 * the simulated checkout and sees the order paid. Skipped without REDIS_URL.
 */
import assert from "node:assert/strict";
import { startGatewayProcess } from "../support/gateway_process.ts";
import { hs256Token } from "../support/tokens.ts";
import { setupHarness } from "../support/harness.ts";
import { DEMO_USERS } from "../../functions/_dev/demo.ts";
import { type Json, supabaseJsClient } from "./clients.ts";

const HOUR = 3_600_000;

Deno.test({
  name: "a buyer goes through the waiting room with supabase-js and buys",
  ignore: !Deno.env.get("REDIS_URL"),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await setupHarness();
    const secret = `e2e-${crypto.randomUUID()}-${crypto.randomUUID()}`;
    const gateway = await startGatewayProcess({
      env: { SUPABASE_JWT_SECRET: secret, CORS_ORIGINS: "http://localhost:5173" },
      startTimeoutMs: 45_000,
    });
    try {
      const keyLine = await gateway.stdout.waitFor((l) => l.startsWith("Anon key"), 5_000, "key");
      const client = supabaseJsClient({
        gateway: gateway.origin,
        appOrigin: "http://localhost:5173",
        anonKey: keyLine.split(": ").pop()!,
      });
      const who = async (name: "admin" | "user", roles: ("user" | "admin")[]) => ({
        label: name,
        token: await hs256Token(
          { sub: DEMO_USERS[name].id, email: DEMO_USERS[name].email, roles },
          secret,
        ),
      });
      const admin = await who("admin", ["user", "admin"]);
      const buyer = await who("user", ["user"]);
      const call = (
        id: { label: string; token?: string },
        method: "GET" | "POST" | "PUT",
        path: string,
        body?: unknown,
        headers?: Record<string, string>,
      ) => client.call(id, method, path, { body, headers });

      const event: Json = (await call(admin, "POST", "events", {
        title: `Queue E2E ${crypto.randomUUID().slice(0, 8)}`,
        venue: "Sala E2E",
        starts_at: new Date(Date.now() + HOUR).toISOString(),
        ends_at: new Date(Date.now() + 5 * HOUR).toISOString(),
      })).body;
      const type: Json = (await call(admin, "POST", `events/${event.id}/ticket-types`, {
        name: "General",
        price: 250_000,
        capacity: 10,
      })).body;
      assert.equal(
        (await call(admin, "PUT", `events/${event.id}`, { status: "published" })).status,
        200,
      );
      const settings = await call(admin, "PUT", `queue/${event.id}/settings`, {
        enabled: true,
        prequeue_opens_at: new Date(Date.now() - HOUR).toISOString(),
        starts_at: new Date(Date.now() - 1000).toISOString(),
      });
      assert.equal(settings.status, 201, JSON.stringify(settings.body));

      const purchase = (token?: string) =>
        call(buyer, "POST", "purchases", {
          event_id: event.id,
          items: [{ ticket_type_id: type.id, quantity: 1 }],
          ...(token ? { admission_token: token } : {}),
        }, { "Idempotency-Key": crypto.randomUUID() });
      const refused = await purchase();
      assert.deepEqual([refused.status, refused.body.error.code], [403, "admission_required"]);

      let place = (await call(buyer, "POST", `queue/${event.id}/join`)).body;
      const deadline = Date.now() + 20_000;
      while (place.state === "waiting" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        place = (await call(buyer, "GET", `queue/${event.id}/status`)).body;
      }
      assert.equal(place.state, "admitted", JSON.stringify(place));
      const order = await purchase(place.admission.token);
      assert.equal(order.status, 201, JSON.stringify(order.body));
      const path = order.body.checkout_url.slice(`${gateway.origin}/functions/v1/`.length);
      assert.equal((await call(buyer, "POST", path, { status: "approved" })).status, 200);
      let status: Json;
      while (Date.now() < deadline + 20_000) {
        status = (await call(buyer, "GET", `purchases/${order.body.order_id}/status`)).body;
        if (status.status === "paid") break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(status.status, "paid");
      assert.equal(status.tickets.length, 1);
      const fairness = await call({ label: "visitor" }, "GET", `queue/${event.id}/fairness`);
      assert.match(fairness.body.seed, /^[0-9a-f]{64}$/);
    } catch (error) {
      console.error(`gateway stderr (last lines):\n${gateway.stderr.lines.slice(-30).join("\n")}`);
      throw error;
    } finally {
      await gateway.stop();
    }
  },
});
