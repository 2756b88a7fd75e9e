-- A re-score claims its accounts with a lease committed on its own (claimed_until), instead of
-- deleting their queue rows inside the long re-score transaction: the consumer's rollup, which
-- queues the same accounts, no longer waits for a re-score in flight to commit (it was lock-bound
-- ~30% of the time at 5k events/s). A row touched while claimed is marked dirty and queued again
-- when the re-score ends; a lease that expires (a worker died) makes the row claimable again.
ALTER TABLE recompute_queue ADD COLUMN claimed_until timestamptz, ADD COLUMN dirty boolean NOT NULL DEFAULT false;
