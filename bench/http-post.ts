import http from "node:http";

/**
 * A lean GraphQL POST over node:http with a keep-alive agent. bench:queue times `{ __typename }`
 * with it beside the same request through fetch (undici): in one process the client's own cost
 * lands in the figures, and the difference says how much of the HTTP floor is the client's.
 */
export function httpPoster(url: string, token: string): (query: string) => Promise<{ data?: unknown; errors?: unknown[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  return (query) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query });
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => {
            try {
              resolve(JSON.parse(text));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on("error", reject);
      request.end(body);
    });
}
