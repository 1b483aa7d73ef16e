// The tests' freePort(): a loopback port below the ephemeral range, so no client socket takes it first.
export { freePort } from '../../test/free-port.ts';
