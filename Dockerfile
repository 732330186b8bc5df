# The self-hosting server (`deno task start`) and worker (`deno task worker`); compose.yaml runs both.
# The command it wraps is what CI tests (tests/deploy/production_server.ts, two_servers.ts).
FROM denoland/deno:2.9.6
WORKDIR /app
COPY deno.json deno.lock import_map.json ./
COPY shared ./shared
COPY functions ./functions
COPY supabase ./supabase
# Dependencies cached at build time: the server starts without reaching the registry.
RUN deno cache functions/server.ts functions/worker.ts shared/db/migrate_cli.ts
USER deno
ENV APP_ENV=production HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["task", "start"]
