package teamsapp

import "fmt"

// frenchStrings is fr.json in Microsoft's localization file format: a flat
// object whose keys are JSONPath-like names of the manifest's localizable
// fields (the schema's list: names, descriptions, static tab names, bot
// command titles and descriptions, messaging-extension command and
// parameter titles and descriptions). It walks the same tables as
// buildManifest, so the indexes always match the manifest's arrays.
func frenchStrings() map[string]string {
	s := map[string]string{
		"$schema":           LocalizationSchemaURL,
		"name.short":        shortName.fr,
		"name.full":         fullName.fr,
		"description.short": shortDesc.fr,
		"description.full":  fullDesc.fr,
	}
	for i, t := range staticTabs {
		s[fmt.Sprintf("staticTabs[%d].name", i)] = t.name.fr
	}
	for l := range botCommandScopes {
		for i, c := range botCommands {
			s[fmt.Sprintf("bots[0].commandLists[%d].commands[%d].title", l, i)] = c.title.fr
			s[fmt.Sprintf("bots[0].commandLists[%d].commands[%d].description", l, i)] = c.description.fr
		}
	}
	for i, c := range extensionCommands {
		s[fmt.Sprintf("composeExtensions[0].commands[%d].title", i)] = c.title.fr
		s[fmt.Sprintf("composeExtensions[0].commands[%d].description", i)] = c.desc.fr
		if c.param != nil {
			s[fmt.Sprintf("composeExtensions[0].commands[%d].parameters[0].title", i)] = c.param.title.fr
			s[fmt.Sprintf("composeExtensions[0].commands[%d].parameters[0].description", i)] = c.param.desc.fr
		}
	}
	return s
}
