import type { ApiClient } from "../api-client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { humanBytes, renderTable } from "../text-format.js";

interface DomainRow {
  id: string;
  name: string;
  path: string | null;
  status: string;
  statusReason: string | null;
  scanState: string;
  scanError: string | null;
  reclaimableTotal: number;
}

const FIELDS = "id name path status statusReason scanState scanError reclaimableTotal";

/** A storage domain by id or by name. */
export async function resolveDomainId(api: ApiClient, ref: string): Promise<string> {
  const { storageDomains } = await api.request<{ storageDomains: { id: string; name: string }[] }>(
    `{ storageDomains { id name } }`,
  );
  const match = storageDomains.find((d) => d.id === ref) ?? storageDomains.find((d) => d.name === ref);
  if (!match) throw new CliError(ExitCode.USAGE, `No storage domain is named ${ref} (sparsifyctl domains lists them)`);
  return match.id;
}

function describe(d: DomainRow): string {
  const scan = d.scanState === "FAILED" ? `scan FAILED: ${d.scanError ?? "no reason given"}` : `scan ${d.scanState}`;
  return `${d.name} (${d.id}): ${d.status}${d.statusReason ? ` (${d.statusReason})` : ""}, ${scan}`;
}

/** `sparsifyctl domains [list] | add --name N --path P | scan <name|id>`. */
export async function domainsCommand(
  api: ApiClient,
  args: string[],
  opts: { name?: string; path?: string; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<ExitCode> {
  const [action = "list", ...rest] = args;
  if (action === "list") {
    const { storageDomains } = await api.request<{ storageDomains: DomainRow[] }>(`{ storageDomains { ${FIELDS} } }`);
    if (opts.json) out.write(`${JSON.stringify(storageDomains, null, 2)}\n`);
    else
      out.write(
        `${renderTable(
          ["NAME", "STATUS", "SCAN", "RECLAIMABLE", "PATH", "ID"],
          storageDomains.map((d) => [d.name, d.status, d.scanState, humanBytes(d.reclaimableTotal), d.path ?? "-", d.id]),
          new Set([3]),
        )}\n`,
      );
    return ExitCode.OK;
  }
  if (action === "add") {
    const name = opts.name ?? rest[0];
    const path = opts.path ?? rest[1];
    if (!name || !path) throw new CliError(ExitCode.USAGE, "domains add needs --name NAME --path /absolute/dir");
    const { addStorageDomain } = await api.request<{ addStorageDomain: DomainRow }>(
      `mutation($input: AddStorageDomainInput!) { addStorageDomain(input: $input) { ${FIELDS} } }`,
      { input: { name, path } },
    );
    out.write(opts.json ? `${JSON.stringify(addStorageDomain, null, 2)}\n` : `Added ${describe(addStorageDomain)}\n`);
    return ExitCode.OK;
  }
  if (action === "scan") {
    if (!rest[0]) throw new CliError(ExitCode.USAGE, "domains scan needs a storage domain name or id");
    const id = await resolveDomainId(api, rest[0]);
    const { scanStorageDomain } = await api.request<{ scanStorageDomain: DomainRow }>(
      `mutation($id: ID!) { scanStorageDomain(id: $id) { ${FIELDS} } }`,
      { id },
    );
    out.write(opts.json ? `${JSON.stringify(scanStorageDomain, null, 2)}\n` : `${describe(scanStorageDomain)}\n`);
    return scanStorageDomain.scanState === "FAILED" ? ExitCode.JOB_FAILED : ExitCode.OK;
  }
  throw new CliError(ExitCode.USAGE, `Unknown domains action ${action}: use list, add or scan`);
}
