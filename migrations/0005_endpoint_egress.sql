-- Edgehook's egressRelay endpoint setting: with EGRESS_RELAY_MODE=opt-in, only the deliveries
-- of endpoints with egress_relay = 1 go through the egress relays (src/delivery/relay.ts).
ALTER TABLE endpoints ADD COLUMN egress_relay INTEGER NOT NULL DEFAULT 0;
