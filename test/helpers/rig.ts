// A per-test rig that always cleans up: the temporary project is removed in `finally`, so a failing assertion
// never leaves a folder behind in /tmp (wireit's `await using` rigs, without needing the syntax).
import { TempProject } from './project.js';

/** Run `body` with a fresh temporary project; the folder is removed whether the body passes or throws. */
export async function withProject<T>(prefix: string, body: (project: TempProject) => T | Promise<T>): Promise<T> {
  const project = new TempProject(prefix);
  try {
    return await body(project);
  } finally {
    project.remove();
  }
}
