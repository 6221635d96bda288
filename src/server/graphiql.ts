import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { Request, Response, NextFunction } from "express";
import { GRAPHIQL_FETCHER_JS, graphqlWsBrowserClient } from "./graphiql-fetcher.js";

/**
 * GraphiQL, self-contained (no CDN: machines here reach no internet), speaking graphql-ws on the
 * same path for subscriptions, with the Headers tab sent as connectionParams. Rendered once; ~9 MB.
 */
export function graphiqlHandler(endpoint: string) {
  let html: string | null = null;
  return (req: Request, res: Response, next: NextFunction) => {
    const wantsHtml =
      req.method === "GET" && req.accepts(["application/json", "application/graphql-response+json", "text/html"]) === "text/html";
    if (!wantsHtml || req.query.query !== undefined) return next();
    html ??= renderPage(endpoint);
    res.type("html").send(html);
  };
}

const RENDER_CALL = "YogaGraphiQL.renderYogaGraphiQL(";

/** Yoga's page, rendered through our fetcher (headers reach subscriptions as connectionParams). */
function renderPage(endpoint: string): string {
  const page = renderGraphiQL({ endpoint, title: "Sparsify gateway", defaultQuery: DEFAULT_QUERY } as Parameters<
    typeof renderGraphiQL
  >[0]);
  const call = page.lastIndexOf(RENDER_CALL);
  if (call < 0 || !page.includes("</head>"))
    throw new Error("@graphql-yoga/render-graphiql changed its page: update src/server/graphiql.ts");
  const scripts = `<script>${graphqlWsBrowserClient()}</script><script>${GRAPHIQL_FETCHER_JS}</script>`;
  const rendered = `${page.slice(0, call)}SparsifyGraphiQL.render(YogaGraphiQL, ${page.slice(call + RENDER_CALL.length)}`;
  const head = rendered.indexOf("</head>");
  return `${rendered.slice(0, head)}${scripts}${rendered.slice(head)}`; // not String#replace: the scripts hold "$&"
}

const DEFAULT_QUERY = `# Disks and why they can or cannot be sparsified
query Disks {
  disks(first: 20, orderBy: { field: ACTUAL_SIZE, direction: DESC }) {
    totalCount
    edges {
      node {
        alias format virtualSize actualSize sparsifiable
        sparsifyBlockers { code message }
        sparsifyWarnings { code message }
        storageDomain { name }
      }
    }
  }
}
`;
