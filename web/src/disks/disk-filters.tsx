import { useEffect, useId, useState } from "react";
import type { StorageDomain } from "../api/types";

export type SparsifiableFilter = "" | "yes" | "no";
export const PAGE_SIZES = [25, 50, 100, 200] as const;

export interface FilterValues {
  text: string;
  domain: string;
  sparsifiable: SparsifiableFilter;
  /** Only the disks whose reclaim estimate passes their domain's policy. */
  needsSparsify: boolean;
  pageSize: number;
}

/** Text is applied after a pause in typing so every keystroke does not cost a query. */
const TEXT_DELAY_MS = 250;

export function DiskFilters({
  values,
  domains,
  onChange,
}: {
  values: FilterValues;
  domains: StorageDomain[];
  onChange: (next: Partial<FilterValues>) => void;
}) {
  const id = useId();
  const [text, setText] = useState(values.text);
  useEffect(() => setText(values.text), [values.text]);
  useEffect(() => {
    if (text === values.text) return;
    const timer = setTimeout(() => onChange({ text }), TEXT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, values.text, onChange]);

  return (
    <form className="filters" role="search" aria-label="Filter disks" onSubmit={(e) => (e.preventDefault(), onChange({ text }))}>
      <div className="field field-grow">
        <label className="field-label" htmlFor={`${id}-text`}>
          Alias contains
        </label>
        <input
          id={`${id}-text`}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="e.g. web"
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-domain`}>
          Storage domain
        </label>
        <select id={`${id}-domain`} value={values.domain} onChange={(e) => onChange({ domain: e.target.value })}>
          <option value="">All domains</option>
          {domains.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
              {d.status !== "ACTIVE" ? ` (${d.status.toLowerCase()})` : ""}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-sparsifiable`}>
          Sparsifiable
        </label>
        <select
          id={`${id}-sparsifiable`}
          value={values.sparsifiable}
          onChange={(e) => onChange({ sparsifiable: e.target.value as SparsifiableFilter })}
        >
          <option value="">All disks</option>
          <option value="yes">Sparsifiable now</option>
          <option value="no">Blocked</option>
        </select>
      </div>
      <div className="field field-check">
        <span className="field-label" aria-hidden="true">
          Estimate
        </span>
        <label className="check">
          <input type="checkbox" checked={values.needsSparsify} onChange={(e) => onChange({ needsSparsify: e.target.checked })} />
          Needs sparsify
        </label>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-size`}>
          Rows per page
        </label>
        <select id={`${id}-size`} value={values.pageSize} onChange={(e) => onChange({ pageSize: Number(e.target.value) })}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}
