import fs from "node:fs";

export const DEFAULT_LIBVIRT_URI = "qemu:///system";
export const LIBVIRT_SOCKET = "/run/libvirt/libvirt-sock";

/** What a host worker does about libvirt: follow `uri`, or not (and why, in words). */
export type LibvirtChoice = { uri: string; message: string } | { uri: null; message: string };

/** LIBVIRT_URI unset → the system socket when it exists; "none" → deliberately off. */
export function chooseLibvirtUri(setting: string | undefined, socketExists = () => fs.existsSync(LIBVIRT_SOCKET)): LibvirtChoice {
  if (setting === "none") return { uri: null, message: "LIBVIRT_URI=none: this host deliberately has no hypervisor" };
  if (setting) return { uri: setting, message: `following libvirt at ${setting}` };
  if (socketExists())
    return {
      uri: DEFAULT_LIBVIRT_URI,
      message: `following libvirt at ${DEFAULT_LIBVIRT_URI} (its socket ${LIBVIRT_SOCKET} exists)`,
    };
  return {
    uri: null,
    message:
      `libvirt off: no socket at ${LIBVIRT_SOCKET}; set LIBVIRT_URI to follow a hypervisor, or ` +
      "LIBVIRT_URI=none to say there is none",
  };
}
