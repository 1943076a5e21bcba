-- The svix client's EventTypeIn/Out carry `groupName` and `featureFlags` (a list), which
-- 0001 has no room for. feature_flags is a JSON array; feature_flag keeps the first flag
-- for the document's deprecated singular `featureFlag`.
ALTER TABLE event_types ADD COLUMN group_name TEXT;
ALTER TABLE event_types ADD COLUMN feature_flags TEXT;
