import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The graphql-ws browser client (its UMD build, global `graphqlWs`), inlined into the GraphiQL
 * page: machines here reach no CDN, and one client library serves the web UI and GraphiQL alike.
 */
export function graphqlWsBrowserClient(): string {
  const main = fileURLToPath(import.meta.resolve("graphql-ws")); // …/graphql-ws/dist/index.js
  return readFileSync(path.join(path.dirname(main), "..", "umd", "graphql-ws.min.js"), "utf8");
}

/**
 * Browser code for the bundled GraphiQL (defines `SparsifyGraphiQL`). Yoga's own fetcher sends the
 * Headers tab over HTTP only, so a subscription's `connection_init` went out empty and the socket
 * closed with 4401 ("{"isTrusted":true}" in the results). This fetcher sends queries and mutations
 * over HTTP with the headers, and subscriptions over graphql-ws with the same headers as
 * connectionParams (one connection per distinct set of headers); a refused socket is reported in
 * words. Plain ES2017, no imports: it runs as an inline script.
 */
export const GRAPHIQL_FETCHER_JS = String.raw`
(function () {
  "use strict";

  // The operations of the query text (comments and strings removed): keywords outside any
  // braces. Not GraphiQL's parsed document, which can lag behind the text just typed.
  function operations(params) {
    var src = String(params.query || "").replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*/g, " ");
    var re = /[{}()]|\b(query|mutation|subscription|fragment)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    var depth = 0, parens = 0, pending = false, found = [], m;
    while ((m = re.exec(src))) {
      if (m[0] === "(") parens++;
      else if (m[0] === ")") parens = Math.max(0, parens - 1);
      else if (parens > 0) continue; // variable defaults and arguments: { } there is no selection
      else if (m[0] === "{") { if (depth === 0 && !pending) found.push({ type: "query", name: null }); depth++; pending = false; }
      else if (m[0] === "}") depth = Math.max(0, depth - 1);
      else if (depth === 0) { found.push({ type: m[1], name: m[2] || null }); pending = true; }
    }
    return found.filter(function (o) { return o.type !== "fragment"; });
  }

  // The operation that will run. GraphiQL may still hold the name of the operation the editor
  // had a moment ago: with a single operation in the document, that one is meant.
  function chosenOperation(params) {
    var ops = operations(params);
    var named = params.operationName ? ops.find(function (o) { return o.name === params.operationName; }) : null;
    return named || (ops.length === 1 || !params.operationName ? ops[0] : null) || { type: "query", name: params.operationName || null };
  }

  function describe(error) {
    if (error && typeof error.code === "number") {
      var reason = error.reason ? ": " + error.reason : "";
      if (error.code === 4401) {
        return "Not authenticated: the server closed the subscription's WebSocket (4401" + reason + "). " +
          "Put your token in the Headers tab as {\"Authorization\": \"Bearer <token>\"} and run it again.";
      }
      if (error.code === 4403) return "Forbidden: the server closed the subscription's WebSocket (4403" + reason + ").";
      return "The subscription's WebSocket closed (code " + error.code + reason + ").";
    }
    if (error instanceof Error) return error.message;
    if (error && error.type === "error") return "The subscription's WebSocket could not connect: is the gateway running?";
    return String(error);
  }

  function fetcherFor(endpoint) {
    var url = new URL(endpoint, location.href);
    var wsUrl = (url.protocol === "https:" ? "wss:" : "ws:") + "//" + url.host + url.pathname + url.search;
    var client = null, clientKey = null;
    function wsClient(headers) {
      var key = JSON.stringify(headers);
      if (client && key === clientKey) return client;
      if (client) client.dispose();
      clientKey = key;
      client = graphqlWs.createClient({ url: wsUrl, connectionParams: headers, lazy: true, retryAttempts: 0 });
      return client;
    }
    async function* subscribe(params, headers) {
      try {
        var request = { query: params.query, variables: params.variables || undefined, operationName: params.operationName || undefined };
        for await (var result of wsClient(headers).iterate(request)) yield result;
      } catch (error) {
        yield Array.isArray(error) ? { errors: error } : { errors: [{ message: describe(error) }] };
      }
    }
    return function fetcher(params, opts) {
      var headers = Object.assign({}, opts && opts.headers);
      var op = chosenOperation(params);
      params = Object.assign({}, params, { operationName: op.name || undefined });
      if (op.type === "subscription") return subscribe(params, headers);
      return fetch(url.href, {
        method: "POST",
        credentials: "same-origin",
        headers: Object.assign(
          { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
          headers,
        ),
        body: JSON.stringify(params),
      }).then(function (res) { return res.json(); });
    };
  }

  window.SparsifyGraphiQL = {
    chosenOperation: chosenOperation,
    render: function (yoga, root, options) {
      var opts = Object.assign({}, options, { fetcher: fetcherFor(options.endpoint || location.pathname) });
      delete opts.endpoint; // Yoga warns when given both
      yoga.renderYogaGraphiQL(root, opts);
    },
  };
})();
`;
