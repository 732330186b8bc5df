/** The QR image each ticket gets in its order confirmation. */
import { issueTicketCode } from "../tickets/codes.ts";
import { renderQr } from "../tickets/qr.ts";
import type { RenderTicketQr } from "./templates/mod.ts";

/**
 * The renderer the dispatcher uses unless one is injected: the ticket's
 * Ed25519-signed code (what /tickets/validate accepts) as a PNG QR. Codes are
 * signed at send time, so a key rotated between payment and a retry is honoured.
 */
export const defaultRenderTicketQr: RenderTicketQr = async (ticket) =>
  await renderQr(await issueTicketCode({ ticketId: ticket.id, eventId: ticket.event_id }), "png");
