/** The sandbox web chat's public surface (main.ts, tests). */
export { actorOf, eventFromText, mentionsIn, SANDBOX_BOT } from './events.js';
export { createSandboxRouter, type SandboxRouterDeps } from './router.js';
export { createSandboxSender } from './sender.js';
export { createSandboxEditor } from './editor.js';
export {
  createSandboxStore,
  GROUP_CHAT_ID,
  GROUP_TITLE,
  type SandboxChat,
  type SandboxMessage,
  type SandboxStore,
  type SandboxUser,
} from './store.js';
export { createSandbox, SANDBOX_ERRORS, type Sandbox, type SandboxError, type Toast } from './transport.js';
