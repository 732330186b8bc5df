/**
 * The sweep as a process of its own, for the crash test: runs passes against
 * DATABASE_URL and the Mercado Pago at MERCADOPAGO_BASE_URL until a pass finds
 * nothing left to do, printing each pass as a JSON line. The test kills it
 * with SIGKILL in the middle of its work.
 */
import { db } from "../../shared/db/mod.ts";
import { paymentProvider } from "../../shared/payments/mod.ts";
import { runSweep } from "../../functions/purchases/sweep_service.ts";

const sql = await db();
const provider = paymentProvider();
for (;;) {
  const pass = await runSweep(sql, provider);
  console.log(JSON.stringify(pass));
  if (pass.cancellation_refunds === 0 && pass.refunds_requested === 0) break;
}
await sql.end();
