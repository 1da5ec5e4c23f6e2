/**
 * What the process runtime runs for an image, standing in for the image's ENTRYPOINT and
 * CMD (it runs host programs, not images).
 *
 * | image                      | ENTRYPOINT | CMD       |
 * | -------------------------- | ---------- | --------- |
 * | node, node:<tag>           | node       | (none)    |
 * | busybox, alpine            | (none)     | /bin/sh   |
 * | debian, ubuntu             | (none)     | bash      |
 * | python, python:<tag>       | (none)     | python3   |
 *
 * A name may carry a tag or digest and a `library/` prefix. As Docker does: `command`
 * replaces the ENTRYPOINT (and drops CMD), `args` replace CMD; an image without an
 * ENTRYPOINT runs its args as the command, so `image: busybox` with
 * `args: ["/bin/sh", "-c", "…"]` runs the host's /bin/sh. Programs are found on the
 * container's PATH (the host's). Any other image needs `command`.
 */
export interface ImageProfile {
  entrypoint: string[];
  cmd: string[];
}

const PROFILES: Record<string, ImageProfile> = {
  node: { entrypoint: ['node'], cmd: [] },
  busybox: { entrypoint: [], cmd: ['/bin/sh'] },
  alpine: { entrypoint: [], cmd: ['/bin/sh'] },
  debian: { entrypoint: [], cmd: ['bash'] },
  ubuntu: { entrypoint: [], cmd: ['bash'] },
  python: { entrypoint: [], cmd: ['python3'] },
};

/** The images the table knows, for messages. */
export const PROFILED_IMAGES = Object.keys(PROFILES);

/** The profile of `image` (`busybox:1.36`, `library/python@sha256:…`), if it has one. */
export function imageProfile(image: string): ImageProfile | undefined {
  const m = /^(?:library\/)?([a-z0-9._-]+)(?:[:@].*)?$/.exec(image.trim());
  return m ? PROFILES[m[1]] : undefined;
}

/**
 * The argv of a container per Docker's rules, or undefined when the image has no profile
 * and the container sets no command.
 */
export function containerArgv(
  image: string,
  command: string[] | undefined,
  args: string[] | undefined,
): string[] | undefined {
  if (command?.length) return [...command, ...(args ?? [])];
  const profile = imageProfile(image);
  if (!profile) return undefined;
  const argv = [...profile.entrypoint, ...(args?.length ? args : profile.cmd)];
  return argv.length ? argv : undefined;
}
