/** The Redis key prefix the producer and the gateway of agentwire-redis share. */
export const KEY_PREFIX = 'bench';
