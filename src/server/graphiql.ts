import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { Request, Response, NextFunction } from "express";

/**
 * GraphiQL, self-contained (no CDN: machines here reach no internet), speaking graphql-ws on the
 * same path for subscriptions. Rendered once; ~9 MB.
 */
export function graphiqlHandler(endpoint: string) {
  let html: string | null = null;
  return (req: Request, res: Response, next: NextFunction) => {
    const wantsHtml = req.method === "GET" && req.accepts(["application/json", "application/graphql-response+json", "text/html"]) === "text/html";
    if (!wantsHtml || req.query.query !== undefined) return next();
    html ??= renderGraphiQL({ endpoint, subscriptionsProtocol: "WS", title: "Sparsify gateway", defaultQuery: DEFAULT_QUERY } as Parameters<typeof renderGraphiQL>[0]);
    res.type("html").send(html);
  };
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
