/**
 * The two disk formats the host layer handles. Always passed explicitly to qemu tools:
 * letting qemu probe a raw image's format lets a guest forge a qcow2 header (docs/virt-sparsify.md §9.5).
 */
export type ImageFormat = "raw" | "qcow2";
