-- mtls_certificate: the name of the mTLS certificate binding (wrangler.toml [[mtls_certificates]],
-- declared in MTLS_CERTIFICATES) an endpoint's deliveries present, or null for a plain fetch
-- (src/delivery/mtls.ts).
ALTER TABLE endpoints ADD COLUMN mtls_certificate TEXT;
