// The cold-start floor: a Deno server that imports nothing.
Deno.serve(() => new Response(null, { status: 204 }));
