/**
 * The grouping of a scan's images into disks, in SQL over the staging table `scan_reading`, so the
 * gateway never holds a domain's readings or its plan in memory: the same rules as
 * `groupVolumesIntoDisks` (src/domain/disk-grouping.ts) and `planScan` (scan-plan.ts), which stay
 * the pure, table-tested statement of them (a test checks this SQL against them on random domains).
 *
 * - a volume that backs no image, or two or more, tops a disk; a disk owns its top (the leaf) and
 *   the volumes below it that back only its chain; a volume backing two or more is a template;
 * - the first problem along the chain is the disk's: each volume's own, then a missing backing
 *   file or a loop back to the top (the only place a chain of single-child volumes can loop);
 * - a pure loop's volumes (no top reaches them) become one disk each, refused as a loop.
 *
 * Parameterless statements, sent as one simple query: the walk's size does not change their number.
 */

/** Each image with how many read images it backs (a backing that was not read counts for nothing). */
const NODES = `
  CREATE TEMP TABLE scan_node ON COMMIT DROP AS
  SELECT r.rel_path, r.backing_rel_path, r.problem, r.actual_size, r.unreadable, r.refusal_code, r.refusal_message,
         COALESCE(c.children, 0) AS children
    FROM scan_reading r
    LEFT JOIN (SELECT backing_rel_path, count(*)::int AS children FROM scan_reading WHERE backing_rel_path IS NOT NULL GROUP BY 1) c
      ON c.backing_rel_path = r.rel_path;
  ANALYZE scan_node;`;

/**
 * Every chain, walked from its top down while the next volume backs only this chain. Each step's
 * end says why the chain stopped there: a missing backing file, a loop back to the top (a problem),
 * or a template (a volume backing two or more). The depth guard only bounds hostile input.
 */
const WALK = `
  CREATE TEMP TABLE scan_walk ON COMMIT DROP AS
  WITH RECURSIVE walk AS (
    SELECT n.rel_path AS top, n.rel_path, n.backing_rel_path, n.problem, n.actual_size, n.unreadable, n.refusal_code,
           n.refusal_message, 0 AS depth
      FROM scan_node n WHERE n.children <> 1
    UNION ALL
    SELECT w.top, b.rel_path, b.backing_rel_path, b.problem, b.actual_size, b.unreadable, b.refusal_code, b.refusal_message,
           w.depth + 1
      FROM walk w JOIN scan_node b ON b.rel_path = w.backing_rel_path
     WHERE b.rel_path <> w.top AND b.children = 1 AND w.depth < 100000
  )
  SELECT w.top, w.rel_path, w.problem, w.actual_size, w.unreadable, w.refusal_code, w.refusal_message, w.depth,
         CASE WHEN w.backing_rel_path IS NULL THEN NULL
              WHEN b.rel_path IS NULL THEN 'backing file ' || w.backing_rel_path || ' of ' || w.rel_path || ' is missing'
              WHEN b.rel_path = w.top THEN 'backing chain of ' || w.top || ' loops at ' || b.rel_path
         END AS end_problem,
         CASE WHEN b.rel_path <> w.top AND b.children > 1 THEN b.rel_path END AS template_top
    FROM walk w LEFT JOIN scan_node b ON b.rel_path = w.backing_rel_path;
  INSERT INTO scan_walk (top, rel_path, problem, actual_size, unreadable, refusal_code, refusal_message, depth, end_problem)
  SELECT n.rel_path, n.rel_path, NULL, n.actual_size, n.unreadable, n.refusal_code, n.refusal_message, 0,
         'backing chain of ' || n.rel_path || ' loops back on itself'
    FROM scan_node n WHERE NOT EXISTS (SELECT 1 FROM scan_walk w WHERE w.rel_path = n.rel_path);
  ANALYZE scan_walk;`;

/** One row per disk, by its top: base (lowest own volume), size, status, first problem and own refusal. */
const GROUPS = `
  CREATE TEMP TABLE scan_group ON COMMIT DROP AS
  SELECT top,
         (array_agg(rel_path ORDER BY depth DESC))[1] AS base,
         count(*)::int AS own_volume_count,
         sum(actual_size)::bigint AS actual_size,
         bool_or(unreadable) AS unreadable,
         (array_agg(COALESCE(problem, end_problem) ORDER BY depth) FILTER (WHERE COALESCE(problem, end_problem) IS NOT NULL))[1]
           AS chain_problem,
         max(template_top) AS template_top,
         (array_agg(jsonb_build_object('code', refusal_code,
                    'message', 'The image inspector refused ' || rel_path || ' (' || refusal_code || '): ' || refusal_message)
                    ORDER BY depth) FILTER (WHERE refusal_code IS NOT NULL))[1] AS own_refusal
    FROM scan_walk GROUP BY top;
  ANALYZE scan_group;`;

/**
 * What the writer stores per disk. A disk is refused when any layer qemu would open is: its own
 * (leaf first), else its template's, and so on down (depth-guarded as in planScan). The allocation
 * is the leaf's, classified per image before the rows came in (scan-reading-row.ts).
 */
const DISKS = `
  CREATE TEMP TABLE scan_disk ON COMMIT DROP AS
  WITH RECURSIVE refused AS (
    SELECT top, own_refusal AS inspection, 0 AS depth FROM scan_group WHERE own_refusal IS NOT NULL
    UNION ALL
    SELECT g.top, r.inspection, r.depth + 1
      FROM refused r JOIN scan_group g ON g.template_top = r.top
     WHERE g.own_refusal IS NULL AND r.depth < 64
  )
  SELECT g.base AS base_rel_path, g.top AS leaf_rel_path,
         regexp_replace(regexp_replace(g.base, '^.*/', ''), '[.](qcow2|raw|img)$', '', 'i') AS alias,
         leaf.format::text::disk_format_enum AS format, leaf.virtual_size, g.actual_size, g.own_volume_count, g.chain_problem,
         (CASE WHEN g.unreadable THEN 'ILLEGAL' ELSE 'OK' END)::disk_status_enum AS status, leaf.allocation, leaf.allocation_source,
         template.base AS template_base, refused.inspection, derived.top IS NOT NULL AS is_template
    FROM scan_group g
    JOIN scan_reading leaf ON leaf.rel_path = g.top
    LEFT JOIN scan_group template ON template.top = g.template_top
    -- A join, not EXISTS in the select list: that is a subplan, run per disk once its hash outgrows work_mem.
    LEFT JOIN (SELECT DISTINCT template_top AS top FROM scan_group WHERE template_top IS NOT NULL) derived ON derived.top = g.top
    LEFT JOIN (SELECT DISTINCT ON (top) top, inspection FROM refused ORDER BY top, depth) refused ON refused.top = g.top;`;

/** The whole grouping: scan_reading in; scan_walk (each volume's disk top and depth), scan_group and scan_disk out. */
export const GROUP_READINGS_SQL = `ANALYZE scan_reading; ${NODES} ${WALK} ${GROUPS} ${DISKS}`;
