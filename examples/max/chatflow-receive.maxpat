{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 6,
			"revision": 2,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [
			100.0,
			100.0,
			700.0,
			340.0
		],
		"bglocked": 0,
		"openinpresentation": 0,
		"default_fontsize": 12.0,
		"default_fontface": 0,
		"default_fontname": "Arial",
		"gridonopen": 1,
		"gridsize": [
			15.0,
			15.0
		],
		"gridsnaponopen": 1,
		"objectsnaponopen": 1,
		"statusbarvisible": 2,
		"toolbarvisible": 1,
		"lefttoolbarpinned": 0,
		"toptoolbarpinned": 0,
		"righttoolbarpinned": 0,
		"bottomtoolbarpinned": 0,
		"toolbars_unpinned_last_save": 0,
		"tallnewobj": 0,
		"boxanimatetime": 200,
		"enablehscroll": 1,
		"enablevscroll": 1,
		"devicewidth": 0.0,
		"description": "Receives chatflow's OSC control values.",
		"digest": "",
		"tags": "chatflow osc",
		"style": "",
		"subpatcher_template": "",
		"assistshowspatchername": 0,
		"boxes": [
			{
				"box": {
					"id": "obj-1",
					"maxclass": "comment",
					"patching_rect": [
						20.0,
						15.0,
						640.0,
						20.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "chatflow-receive: chatflow's OSC messages (/cv/<variable> <value>, one float) on UDP port 7400."
				}
			},
			{
				"box": {
					"id": "obj-2",
					"maxclass": "newobj",
					"patching_rect": [
						20.0,
						50.0,
						100.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"text": "udpreceive 7400"
				}
			},
			{
				"box": {
					"id": "obj-3",
					"maxclass": "newobj",
					"patching_rect": [
						20.0,
						90.0,
						470.0,
						22.0
					],
					"numinlets": 2,
					"numoutlets": 6,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						""
					],
					"text": "route /cv/cutoff /cv/resonance /cv/pitch /cv/wobble /chatflow/alive"
				}
			},
			{
				"box": {
					"id": "obj-4",
					"maxclass": "flonum",
					"patching_rect": [
						20.0,
						140.0,
						70.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"parameter_enable": 0,
					"format": 6
				}
			},
			{
				"box": {
					"id": "obj-8",
					"maxclass": "newobj",
					"patching_rect": [
						20.0,
						180.0,
						95.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "s cv-cutoff"
				}
			},
			{
				"box": {
					"id": "obj-16",
					"maxclass": "comment",
					"patching_rect": [
						20.0,
						115.0,
						100.0,
						20.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "cutoff"
				}
			},
			{
				"box": {
					"id": "obj-5",
					"maxclass": "flonum",
					"patching_rect": [
						130.0,
						140.0,
						70.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"parameter_enable": 0,
					"format": 6
				}
			},
			{
				"box": {
					"id": "obj-9",
					"maxclass": "newobj",
					"patching_rect": [
						130.0,
						180.0,
						95.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "s cv-resonance"
				}
			},
			{
				"box": {
					"id": "obj-17",
					"maxclass": "comment",
					"patching_rect": [
						130.0,
						115.0,
						100.0,
						20.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "resonance"
				}
			},
			{
				"box": {
					"id": "obj-6",
					"maxclass": "flonum",
					"patching_rect": [
						240.0,
						140.0,
						70.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"parameter_enable": 0,
					"format": 6
				}
			},
			{
				"box": {
					"id": "obj-10",
					"maxclass": "newobj",
					"patching_rect": [
						240.0,
						180.0,
						95.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "s cv-pitch"
				}
			},
			{
				"box": {
					"id": "obj-18",
					"maxclass": "comment",
					"patching_rect": [
						240.0,
						115.0,
						100.0,
						20.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "pitch"
				}
			},
			{
				"box": {
					"id": "obj-7",
					"maxclass": "flonum",
					"patching_rect": [
						350.0,
						140.0,
						70.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"parameter_enable": 0,
					"format": 6
				}
			},
			{
				"box": {
					"id": "obj-11",
					"maxclass": "newobj",
					"patching_rect": [
						350.0,
						180.0,
						95.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "s cv-wobble"
				}
			},
			{
				"box": {
					"id": "obj-19",
					"maxclass": "comment",
					"patching_rect": [
						350.0,
						115.0,
						100.0,
						20.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "wobble"
				}
			},
			{
				"box": {
					"id": "obj-12",
					"maxclass": "newobj",
					"patching_rect": [
						460.0,
						140.0,
						29.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"bang"
					],
					"text": "t b"
				}
			},
			{
				"box": {
					"id": "obj-13",
					"maxclass": "button",
					"patching_rect": [
						460.0,
						175.0,
						24.0,
						24.0
					],
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"bang"
					],
					"parameter_enable": 0
				}
			},
			{
				"box": {
					"id": "obj-14",
					"maxclass": "newobj",
					"patching_rect": [
						520.0,
						140.0,
						125.0,
						22.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "print chatflow-other"
				}
			},
			{
				"box": {
					"id": "obj-15",
					"maxclass": "comment",
					"patching_rect": [
						20.0,
						230.0,
						640.0,
						75.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"linecount": 5,
					"text": "Each variable shows in its number box and goes to [s cv-<name>]: use [r cv-cutoff] anywhere. Add a variable by adding /cv/<name> to the route. Messages no route matches print as chatflow-other in the Max console. The button flashes with chatflow's heartbeat (sink option heartbeat: { address: /chatflow/alive }). For /cv <name> <value> (args: [s, f] in the sink), use [route /cv] then [route cutoff resonance ...] instead."
				}
			},
			{
				"box": {
					"id": "obj-20",
					"maxclass": "comment",
					"patching_rect": [
						460.0,
						115.0,
						60.0,
						20.0
					],
					"numinlets": 1,
					"numoutlets": 0,
					"text": "alive"
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"destination": [
						"obj-3",
						0
					],
					"source": [
						"obj-2",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-4",
						0
					],
					"source": [
						"obj-3",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-8",
						0
					],
					"source": [
						"obj-4",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-5",
						0
					],
					"source": [
						"obj-3",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-9",
						0
					],
					"source": [
						"obj-5",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-6",
						0
					],
					"source": [
						"obj-3",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-10",
						0
					],
					"source": [
						"obj-6",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-7",
						0
					],
					"source": [
						"obj-3",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-11",
						0
					],
					"source": [
						"obj-7",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-12",
						0
					],
					"source": [
						"obj-3",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-13",
						0
					],
					"source": [
						"obj-12",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-14",
						0
					],
					"source": [
						"obj-3",
						5
					]
				}
			}
		],
		"dependency_cache": [],
		"autosave": 0
	}
}
