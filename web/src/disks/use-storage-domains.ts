import { useEffect, useState } from "react";
import type { Api } from "../api/client";
import { STORAGE_DOMAINS } from "../api/operations";
import type { StorageDomain } from "../api/types";

/** Storage domains for the filter; an error here only empties the list (the table shows its own). */
export function useStorageDomains(api: Api): StorageDomain[] {
  const [domains, setDomains] = useState<StorageDomain[]>([]);
  useEffect(() => {
    let live = true;
    api.request(STORAGE_DOMAINS).then(
      (d) => live && setDomains([...d.storageDomains].sort((a, b) => a.name.localeCompare(b.name))),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [api]);
  return domains;
}
