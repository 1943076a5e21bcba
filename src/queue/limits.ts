/** A queue message may be delayed by at most 12 hours; longer waits are the log object's alarm's. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
