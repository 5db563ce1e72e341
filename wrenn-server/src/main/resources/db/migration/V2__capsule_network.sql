-- A capsule's network (api.md §8, §9). network: JSON {"allow_internet", "allow_out", "deny_out"} with
-- normalized entries; port_access: public | token; traffic_token: the token of "token" capsules, else NULL;
-- auto_resume: 1 when a request to one of its ports resumes it. Capsules from before get the defaults.
ALTER TABLE capsules ADD COLUMN network TEXT NOT NULL DEFAULT '{"allow_internet":true,"allow_out":[],"deny_out":[]}';
ALTER TABLE capsules ADD COLUMN port_access VARCHAR(8) NOT NULL DEFAULT 'public';
ALTER TABLE capsules ADD COLUMN traffic_token VARCHAR(64);
ALTER TABLE capsules ADD COLUMN auto_resume INTEGER NOT NULL DEFAULT 0;
