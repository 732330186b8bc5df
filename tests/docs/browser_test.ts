/**
 * A real browser opens the API documentation on the gateway: Swagger UI at
 * /docs lists every operation of the merged document, ReDoc at /redoc renders
 * them, and neither page loads anything from another origin (no CDN).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { OpenApiDocument } from "../../shared/openapi.ts";
import { dbTest } from "../support/harness.ts";
import { launchChromium } from "../support/browser.ts";
import { serveGateway } from "../support/gateway_server.ts";
import { documentedOperations } from "../support/openapi.ts";

const TIMEOUT_MS = 30_000;

interface Operation {
  key: string;
  summary?: string;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return documentedOperations(document).map((key) => {
    const [method, path] = key.split(" ");
    const operation = (document.paths![path] as Record<string, { summary?: string }>)[
      method.toLowerCase()
    ];
    return { key, summary: operation.summary };
  });
}

/** Opens `path`, recording requests to other origins and uncaught page errors. */
async function open(page: Page, origin: string, path: string) {
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !/^(data|blob|about):/.test(url)) foreign.push(url);
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  const response = await page.goto(`${origin}${path}`);
  assert.equal(response?.status(), 200, `${path} answered ${response?.status()}`);
  return { foreign, errors };
}

dbTest(
  "Swagger UI at /docs and ReDoc at /redoc list every operation, from local assets only",
  async (t) => {
    const gateway = await serveGateway();
    const browser = await launchChromium();
    try {
      const spec = await (await fetch(`${gateway.origin}/openapi.json`)).json();
      const operations = operationsOf(spec);
      assert.ok(operations.length > 0, "the document has operations");

      await t.step("/docs", async () => {
        const page = await browser.context.newPage();
        page.setDefaultTimeout(TIMEOUT_MS);
        const { foreign, errors } = await open(page, gateway.origin, "/docs");
        await page.waitForFunction(
          `document.querySelectorAll(".opblock").length >= ${operations.length}`,
        );
        const listed = await page.$$eval(".opblock", (blocks) =>
          blocks.map((block) => ({
            key: `${block.querySelector(".opblock-summary-method")?.textContent?.trim()} ${
              block.querySelector(".opblock-summary-path")?.getAttribute("data-path")
            }`,
            summary: block.querySelector(".opblock-summary-description")?.textContent?.trim() ||
              undefined,
          })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
        assert.deepEqual(listed, operations);
        assert.equal(await page.locator(".errors-wrapper").count(), 0, "Swagger UI shows errors");
        assert.deepEqual(foreign, [], "requests to other origins");
        assert.deepEqual(errors, [], "page errors");
        await page.close();
      });

      await t.step("/redoc", async () => {
        const page = await browser.context.newPage();
        page.setDefaultTimeout(TIMEOUT_MS);
        const { foreign, errors } = await open(page, gateway.origin, "/redoc");
        await page.locator("h1", { hasText: "Crodify API" }).waitFor();
        const text = await page.locator("body").innerText();
        for (const { key, summary } of operations) {
          const [method, path] = key.split(" ");
          assert.ok(text.includes(summary ?? path), `ReDoc does not show ${key} (${summary})`);
          assert.ok(text.includes(path), `ReDoc does not show the path of ${method} ${path}`);
        }
        assert.ok(!/something went wrong/i.test(text), "ReDoc shows an error");
        assert.deepEqual(foreign, [], "requests to other origins");
        assert.deepEqual(errors, [], "page errors");
        await page.close();
      });
    } finally {
      await browser.close();
      await gateway.close();
    }
  },
);
