/**
 * QR images for order confirmations. `qrPng` draws any text; the default
 * ticket renderer below is the seam where the signed ticket code plugs in.
 */
// @ts-types="@types/qrcode"
import QRCode from "qrcode";
import type { RenderTicketQr } from "./templates/mod.ts";

/** A PNG QR code of `text`, sized for a phone screen at the door. */
export async function qrPng(text: string): Promise<Uint8Array> {
  const buffer = await QRCode.toBuffer(text, {
    type: "png",
    errorCorrectionLevel: "M",
    margin: 2,
    width: 300,
  });
  return new Uint8Array(buffer);
}

/**
 * The renderer the dispatcher uses unless one is injected.
 * WIRING (lead, once shared/tickets lands): replace the body with
 *   `renderQr(await issueTicketCode({ ticketId: t.id, eventId: t.event_id }), "png")`
 * so the QR carries the Ed25519-signed code /tickets/validate accepts. Until
 * then it encodes the bare ticket id, which the door does not accept.
 */
export const defaultRenderTicketQr: RenderTicketQr = (ticket) => qrPng(ticket.id);
