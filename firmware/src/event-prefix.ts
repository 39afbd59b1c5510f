/** Prefix of every console event line (shared by the firmware and the host's board link). */
export const EVENT_PREFIX = '@hood ';
