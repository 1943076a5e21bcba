-- Edgehook's egressRelay application setting: with EGRESS_RELAY_MODE=opt-in, the deliveries of
-- every endpoint of an application with egress_relay = 1 go through the egress relays, as do
-- those of endpoints that opt in themselves (src/delivery/relay.ts).
ALTER TABLE applications ADD COLUMN egress_relay INTEGER NOT NULL DEFAULT 0;
