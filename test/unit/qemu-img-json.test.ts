import { describe, expect, it } from "vitest";
import { parseImageCheckJson, parseImageInfoJson } from "../../src/host/qemu-img-json.js";

// Verbatim `qemu-img info/check --output=json` from qemu 7.2 on this machine.
const overlay = {
  "backing-filename-format": "qcow2",
  "virtual-size": 1073741824,
  filename: "top.qcow2",
  "cluster-size": 65536,
  format: "qcow2",
  "actual-size": 200704,
  "format-specific": {
    type: "qcow2",
    data: {
      compat: "1.1",
      "compression-type": "zlib",
      "lazy-refcounts": false,
      "refcount-bits": 16,
      corrupt: false,
      "extended-l2": false,
    },
  },
  "full-backing-filename": "a.qcow2",
  "backing-filename": "a.qcow2",
  "dirty-flag": false,
};
const raw = { "virtual-size": 67108864, filename: "hr.raw", format: "raw", "actual-size": 4096, "dirty-flag": false };

describe("parseImageInfoJson", () => {
  it.each([
    [
      "qcow2 overlay",
      overlay,
      262144,
      {
        format: "qcow2",
        virtualSize: 1073741824,
        actualSize: 200704,
        apparentSize: 262144,
        clusterSize: 65536,
        backingFilename: "a.qcow2",
        fullBackingFilename: "a.qcow2",
        backingFormat: "qcow2",
        dirty: false,
        corrupt: false,
      },
    ],
    [
      "sparse raw",
      raw,
      67108864,
      { format: "raw", virtualSize: 67108864, actualSize: 4096, apparentSize: 67108864, dirty: false, corrupt: false },
    ],
    [
      "dirty, corrupt qcow2",
      { ...overlay, "dirty-flag": true, "format-specific": { type: "qcow2", data: { corrupt: true } } },
      1,
      expect.objectContaining({ dirty: true, corrupt: true }),
    ],
  ])("%s", (_name, json, apparent, expected) => {
    expect(parseImageInfoJson(json, apparent)).toEqual(expected);
  });

  it.each([
    ["unknown format", { ...raw, format: "vmdk" }],
    ["missing actual-size", { format: "raw", "virtual-size": 1 }],
  ])("rejects %s", (_name, json) => {
    expect(() => parseImageInfoJson(json, 0)).toThrow();
  });
});

describe("parseImageCheckJson", () => {
  it.each([
    [
      "allocated",
      {
        "image-end-offset": 212205568,
        "total-clusters": 16384,
        "check-errors": 0,
        "allocated-clusters": 34,
        filename: "a.qcow2",
        format: "qcow2",
        "fragmented-clusters": 2,
      },
      { allocatedClusters: 34, totalClusters: 16384, checkErrors: 0, imageEndOffset: 212205568 },
    ],
    // qemu leaves allocated-clusters out when it is 0 (a fresh empty qcow2).
    [
      "empty",
      { "image-end-offset": 262144, "total-clusters": 16384, "check-errors": 0, filename: "e.qcow2", format: "qcow2" },
      { allocatedClusters: 0, totalClusters: 16384, checkErrors: 0, imageEndOffset: 262144 },
    ],
    [
      "leaks and corruptions",
      { "total-clusters": 8, "allocated-clusters": 8, leaks: 2, corruptions: 1 },
      { allocatedClusters: 8, totalClusters: 8, leaks: 2, corruptions: 1 },
    ],
  ])("%s", (_name, json, expected) => {
    expect(parseImageCheckJson(json)).toEqual(expected);
  });
});
