-- Loads a session made by create_session.lua (with audio regions added by the test), inserts
-- one plugin per track, sets and automates parameters, and bounces every track through its
-- plugin with Track:bounce_range (the one offline render path of Ardour 7.3 that is reliable).
-- Settings come from a Lua file named by LATHE_JOBS, which defines:
--   SESSION_DIR, SESSION_NAME, RANGE_END (samples)
--   JOBS = { { track =, plugin =, bounce =, set = { {label, value}, ... },
--              automate = { label =, points = { {sample, value}, ... } } }, ... }
-- Parameter values are plain (the unit the user reads: dB, ms, %).
-- Everything the test needs is printed as lines starting with "LATHE-".
dofile(assert(os.getenv("LATHE_JOBS"), "LATHE_JOBS is not set"))

local s = load_session(SESSION_DIR, SESSION_NAME)
assert(s, "load_session failed")

local function param_index(plug, label)
	for j = 0, plug:parameter_count() - 1 do
		if plug:parameter_label(j) == label then
			local ok = false
			return plug:nth_parameter(j, ok)
		end
	end
	error("no parameter labelled " .. label .. " in " .. plug:name())
end

for _, job in ipairs(JOBS) do
	local track = Session:route_by_name(job.track):to_track()
	assert(not track:isnil(), "no track " .. job.track)
	local proc = ARDOUR.LuaAPI.new_plugin(Session, job.plugin, ARDOUR.PluginType.VST3, "")
	assert(not proc:isnil(), "Ardour could not instantiate " .. job.plugin)
	assert(track:add_processor_by_index(proc, 0, nil, true) == 0, "could not insert " .. job.plugin)
	local insert = proc:to_insert()
	local plug = insert:plugin(0)
	-- The latency the plugin reports, as Ardour sees it (-1: not readable from Lua).
	local ok, lat = pcall(function() return insert:signal_latency() end)
	if not ok then lat = -1 end
	print(string.format("LATHE-PLUGIN %s|%s|%s|%d", job.track, plug:name(), plug:unique_id(), lat))
	for j = 0, plug:parameter_count() - 1 do
		local ok = false
		local n = plug:nth_parameter(j, ok)
		print(string.format("LATHE-PARAM %s|%d|%d|%s", job.track, j, n, plug:parameter_label(j)))
	end
	for _, kv in ipairs(job.set or {}) do
		local i = param_index(plug, kv[1])
		assert(ARDOUR.LuaAPI.set_processor_param(proc, i, kv[2]), "could not set " .. kv[1])
	end
	if job.automate then
		local i = param_index(plug, job.automate.label)
		local al = ARDOUR.LuaAPI.plugin_automation(proc, i)
		assert(not al:isnil(), "no automation list for " .. job.automate.label)
		for _, pt in ipairs(job.automate.points) do
			al:add(Temporal.timepos_t(pt[1]), pt[2], false, false)
		end
		local ac = proc:to_automatable():automation_control(Evoral.Parameter(ARDOUR.AutomationType.PluginAutomation, 0, i), false)
		assert(not ac:isnil(), "no automation control for " .. job.automate.label)
		ac:set_automation_state(ARDOUR.AutoState.Play)
		print(string.format("LATHE-AUTOMATED %s|%d|%d", job.track, i, al:size()))
	end
end

Session:save_state("", false, false, false, false, false)

for _, job in ipairs(JOBS) do
	local track = Session:route_by_name(job.track):to_track()
	local itt = ARDOUR.InterThreadInfo()
	local region = track:bounce_range(0, RANGE_END, itt, track:main_outs(), false, job.bounce, false)
	assert(not region:isnil(), "bounce_range failed for " .. job.track)
	local nch = region:to_audioregion():n_channels()
	for c = 0, nch - 1 do
		local fs = region:source(c):to_filesource()
		print(string.format("LATHE-BOUNCE %s|%d|%s", job.track, c, fs:path()))
	end
end
close_session()
print("LATHE-OK")
