/**
 * Every sentence of every mail, in Spanish and English. Phrases interpolate
 * values they receive: templates pass escaped values for HTML, raw ones for text.
 */
import type { Locale } from "../outbox.ts";

type V = Record<string, string>;

const es = {
  greeting: (v: V) => v.name ? `Hola ${v.name},` : "Hola,",
  closing: "¡Gracias por usar Crodify!",
  labels: {
    order: "Orden",
    event: "Evento",
    when: "Cuándo",
    where: "Dónde",
    total: "Total",
    ticket: "Entrada",
    attendee: "Asistente",
    amount: "Importe",
  },
  confirmation: {
    subject: (v: V) => `Tus entradas para ${v.title}`,
    intro: (v: V) => `Tu compra para ${v.title} está confirmada.`,
    howTo: "Mostrá el código QR de cada entrada en la puerta. Cada código vale para un ingreso.",
    qrAlt: (v: V) => `Código QR de la entrada ${v.n}`,
    textQr: "Los códigos QR están adjuntos a este correo, uno por entrada.",
  },
  refund: {
    subject: (v: V) => `Reembolso de tu compra para ${v.title}`,
    intro: (v: V) => `Reembolsamos ${v.amount} de tu orden para ${v.title}.`,
    note: "Según tu medio de pago, puede tardar algunos días en verse reflejado. " +
      "Las entradas de esta orden ya no son válidas.",
  },
  cancelled: {
    subject: (v: V) => `Evento cancelado: ${v.title}`,
    intro: (v: V) =>
      `Lamentamos avisarte que ${v.title}, previsto para el ${v.when}, fue cancelado.`,
    tickets: (v: V) =>
      v.count === "1"
        ? "Tu entrada ya no es válida."
        : `Tus ${v.count} entradas ya no son válidas.`,
    // With the amount: the refund is already on its way (the cancellation's job asks for it).
    refund: (v: V) =>
      v.amount
        ? `Te devolvemos ${v.amount} al medio de pago con el que compraste, sin que tengas que ` +
          "hacer nada. Según el medio, puede tardar algunos días en verse reflejado."
        : "Te vamos a escribir cuando procesemos el reembolso.",
  },
  lapsed: {
    subject: (v: V) => `Liberamos las entradas de tu orden para ${v.title}`,
    intro: (v: V) =>
      `No recibimos a tiempo el pago de tu orden para ${v.title} (se podía pagar hasta el ` +
      `${v.deadline}), así que las entradas que te guardábamos volvieron a la venta.`,
    note: "Si igual lo pagaste, te escribimos apenas nos llegue: te enviamos las entradas si " +
      "quedan lugares, o te devolvemos el dinero.",
  },
  test: {
    subject: "Correo de prueba de Crodify",
    body: (v: V) =>
      `Este es un correo de prueba enviado el ${v.at}. Si lo recibiste, el envío funciona.`,
  },
};

const en: typeof es = {
  greeting: (v: V) => v.name ? `Hi ${v.name},` : "Hi,",
  closing: "Thanks for using Crodify!",
  labels: {
    order: "Order",
    event: "Event",
    when: "When",
    where: "Where",
    total: "Total",
    ticket: "Ticket",
    attendee: "Attendee",
    amount: "Amount",
  },
  confirmation: {
    subject: (v: V) => `Your tickets for ${v.title}`,
    intro: (v: V) => `Your purchase for ${v.title} is confirmed.`,
    howTo: "Show each ticket's QR code at the door. Each code admits one person once.",
    qrAlt: (v: V) => `QR code of ticket ${v.n}`,
    textQr: "The QR codes are attached to this email, one per ticket.",
  },
  refund: {
    subject: (v: V) => `Refund for your order for ${v.title}`,
    intro: (v: V) => `We refunded ${v.amount} for your order for ${v.title}.`,
    note: "Depending on your payment method it may take a few days to show up. " +
      "The tickets of this order are no longer valid.",
  },
  cancelled: {
    subject: (v: V) => `Event cancelled: ${v.title}`,
    intro: (v: V) =>
      `We are sorry to tell you that ${v.title}, scheduled for ${v.when}, has been cancelled.`,
    tickets: (v: V) =>
      v.count === "1"
        ? "Your ticket is no longer valid."
        : `Your ${v.count} tickets are no longer valid.`,
    refund: (v: V) =>
      v.amount
        ? `We are refunding ${v.amount} to the payment method you used; there is nothing you ` +
          "need to do. Depending on the method it may take a few days to show up."
        : "We will write to you when your refund is processed.",
  },
  lapsed: {
    subject: (v: V) => `We released the tickets of your order for ${v.title}`,
    intro: (v: V) =>
      `We did not receive the payment for your order for ${v.title} in time (it could be paid ` +
      `until ${v.deadline}), so the tickets we were holding for you are back on sale.`,
    note: "If you paid it anyway, we will write to you as soon as it reaches us: we send your " +
      "tickets if places remain, or refund your money.",
  },
  test: {
    subject: "Crodify test email",
    body: (v: V) => `This is a test email sent at ${v.at}. If you got it, sending works.`,
  },
};

export type Strings = typeof es;
const STRINGS: Record<Locale, Strings> = { es, en };

export function strings(locale: Locale): Strings {
  return STRINGS[locale] ?? es;
}
