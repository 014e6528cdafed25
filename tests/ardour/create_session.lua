-- Creates an empty Ardour session with one stereo audio track per job.
-- Driven by tests/python/ardour_host.py: it reads its settings from environment variables,
-- because ardour7-lua has no convenient way to pass arguments.
--   LATHE_SESSION_DIR, LATHE_SESSION_NAME: where to create the session
--   LATHE_TRACKS: track names, separated by commas
local dir = assert(os.getenv("LATHE_SESSION_DIR"), "LATHE_SESSION_DIR is not set")
local name = assert(os.getenv("LATHE_SESSION_NAME"), "LATHE_SESSION_NAME is not set")
local tracks = assert(os.getenv("LATHE_TRACKS"), "LATHE_TRACKS is not set")

local s = create_session(dir, name, 48000)
assert(s, "create_session failed")
for t in string.gmatch(tracks, "[^,]+") do
	local tl = Session:new_audio_track(2, 2, nil, 1, t, ARDOUR.PresentationInfo.max_order,
		ARDOUR.TrackMode.Normal, true)
	assert(tl:size() == 1, "could not create track " .. t)
end
Session:save_state("", false, false, false, false, false)
print("LATHE-OK created " .. dir)
close_session()
