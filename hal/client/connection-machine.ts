import { assign, setup } from 'xstate';
import type { HelloHw } from '../protocol/messages.js';

/**
 * The flight computer's view of its hardware connection:
 *
 *   closed ──LINK_UP──▶ handshaking ──HELLO_HW──▶ up
 *                          ▲   │ (no answer: resend hello every helloRetryMs)
 *                          │   ▼
 *   lost ◀──LINK_LOST── (any state) ; up ──HW_RESET──▶ handshaking ; CLOSE ──▶ closed
 *
 * Per PROTOCOL.md §3 the client sends nothing but `hello` until the hardware's `hello`
 * arrives, and handshakes again after every reconnect or hardware reset.
 */
export type ConnectionEvent =
  | { type: 'LINK_UP' }
  | { type: 'LINK_LOST' }
  | { type: 'HELLO_HW'; hello: HelloHw }
  | { type: 'HW_RESET' }
  | { type: 'CLOSE' };

export interface ConnectionContext {
  helloRetryMs: number;
  attempts: number;
  hello: HelloHw | undefined;
}

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as { helloRetryMs: number },
  },
  actions: {
    // Provided by the client (they talk to the link).
    sendHello: () => {},
    failPending: () => {},
    handshakeTimedOut: () => {},
  },
  delays: {
    helloRetry: ({ context }) => context.helloRetryMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ helloRetryMs: input.helloRetryMs, attempts: 0, hello: undefined }),
  initial: 'closed',
  on: {
    CLOSE: { target: '.closed' },
    LINK_LOST: { target: '.lost' },
  },
  states: {
    closed: {
      entry: 'failPending',
      on: { LINK_UP: 'handshaking' },
    },
    lost: {
      entry: 'failPending',
      on: { LINK_UP: 'handshaking' },
    },
    handshaking: {
      entry: [assign({ attempts: ({ context }) => context.attempts + 1 }), 'sendHello'],
      after: {
        helloRetry: { target: 'handshaking', reenter: true, actions: 'handshakeTimedOut' },
      },
      on: {
        HELLO_HW: {
          target: 'up',
          actions: assign({ hello: ({ event }) => event.hello, attempts: 0 }),
        },
      },
    },
    up: {
      on: {
        HELLO_HW: { actions: assign({ hello: ({ event }) => event.hello }) },
        HW_RESET: 'handshaking',
      },
    },
  },
});

export type ConnectionState = 'closed' | 'lost' | 'handshaking' | 'up';
