/**
 * The interpreter selected in the Python extension (`ms-python.python`), read from its
 * exported API without depending on its typings: the API is optional and has two shapes.
 */

import { arrayField, isRecord } from './json';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

type Callable = (...args: unknown[]) => unknown;

function method(owner: unknown, name: string): Callable | undefined {
  if (!isRecord(owner)) {
    return undefined;
  }
  const fn = owner[name];
  return typeof fn === 'function' ? (fn as Callable).bind(owner) : undefined;
}

/** `environments.getActiveEnvironmentPath(resource).path` (current API). */
function fromEnvironments(api: Record<string, unknown>, resource: unknown): string | undefined {
  const getPath = method(api.environments, 'getActiveEnvironmentPath');
  const active = getPath?.(resource);
  return isRecord(active) && typeof active.path === 'string' && active.path !== '' ? active.path : undefined;
}

/** `settings.getExecutionDetails(resource).execCommand[0]` (older API). */
function fromExecutionDetails(api: Record<string, unknown>, resource: unknown): string | undefined {
  const details = method(api.settings, 'getExecutionDetails')?.(resource);
  if (!isRecord(details)) {
    return undefined;
  }
  const command = arrayField(details, 'execCommand');
  // A multi-part command ("conda run ...") is not a plain interpreter to run `-m` with.
  return command.length === 1 && typeof command[0] === 'string' && command[0] !== '' ? command[0] : undefined;
}

export function interpreterFromPythonApi(api: unknown, resource: unknown): string | undefined {
  if (!isRecord(api)) {
    return undefined;
  }
  try {
    return fromEnvironments(api, resource) ?? fromExecutionDetails(api, resource);
  } catch {
    return undefined; // an API that changed shape must not keep the server from starting
  }
}

export interface Subscription {
  dispose(): unknown;
}

/** `environments.onDidChangeActiveEnvironmentPath(listener)`, when the API has it. */
export function onInterpreterChange(api: unknown, listener: () => void): Subscription | undefined {
  const subscribe = isRecord(api) ? method(api.environments, 'onDidChangeActiveEnvironmentPath') : undefined;
  try {
    const subscription = subscribe?.(listener);
    return isRecord(subscription) && typeof subscription.dispose === 'function'
      ? { dispose: (subscription.dispose as Callable).bind(subscription) }
      : undefined;
  } catch {
    return undefined;
  }
}
