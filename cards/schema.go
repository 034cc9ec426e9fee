package cards

// The types below mirror the Adaptive Card 1.5 schema
// (adaptivecards.io/explorer) for the elements Steward uses. Optional
// properties are omitted when empty so the JSON stays what a card author
// would write by hand, and so the official parser, which drops default
// values when it serialises a card again, round-trips it unchanged.

const (
	schemaURL   = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion = "1.5"
)

// AdaptiveCard is the root of a card.
type AdaptiveCard struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Refresh *Refresh  `json:"refresh,omitempty"`
	Body    []Element `json:"body,omitempty"`
	Actions []Action  `json:"actions,omitempty"`
	// Lang is the card's language (an ISO 639-1 code), which hosts use for
	// date formatting and screen readers for pronunciation.
	Lang string `json:"lang,omitempty"`
}

// Refresh makes Teams call the bot (adaptiveCard/action, Action.Execute)
// when one of UserIDs opens the conversation, so the card each of them sees
// is current. Teams honours at most MaxRefreshUsers ids.
type Refresh struct {
	Action  ActionExecute `json:"action"`
	UserIDs []string      `json:"userIds"`
}

// Element is a body element: TextBlock, FactSet, ColumnSet, Container,
// Image or one of the inputs.
type Element interface{ element() }

// Action is a button: Action.Execute, Action.OpenUrl or Action.Submit.
type Action interface{ action() }

// TextBlock is a run of text (Teams renders a subset of Markdown in it).
type TextBlock struct {
	Type     string `json:"type"` // TextBlock
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap,omitempty"`
	Size     string `json:"size,omitempty"`   // small, default, medium, large, extraLarge
	Weight   string `json:"weight,omitempty"` // lighter, default, bolder
	Color    string `json:"color,omitempty"`  // default, dark, light, accent, good, warning, attention
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
	Style    string `json:"style,omitempty"` // heading (1.5)
}

// FactSet is a two-column list of title/value pairs.
type FactSet struct {
	Type  string `json:"type"` // FactSet
	Facts []Fact `json:"facts"`
}

// Fact is one row of a FactSet (and one field of a CRM Record).
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// ColumnSet lays columns side by side.
type ColumnSet struct {
	Type      string   `json:"type"` // ColumnSet
	Columns   []Column `json:"columns"`
	Separator bool     `json:"separator,omitempty"`
	Spacing   string   `json:"spacing,omitempty"`
	// SelectAction makes the whole row a button (Action.OpenUrl here).
	SelectAction Action `json:"selectAction,omitempty"`
}

// Column is one column of a ColumnSet.
type Column struct {
	Type                     string    `json:"type"` // Column
	Width                    string    `json:"width,omitempty"`
	Items                    []Element `json:"items"`
	VerticalContentAlignment string    `json:"verticalContentAlignment,omitempty"`
}

// Container groups elements, optionally styled.
type Container struct {
	Type      string    `json:"type"` // Container
	Items     []Element `json:"items"`
	Style     string    `json:"style,omitempty"` // default, emphasis, good, attention, warning, accent
	Separator bool      `json:"separator,omitempty"`
	Spacing   string    `json:"spacing,omitempty"`
}

// Image is a picture by URL.
type Image struct {
	Type    string `json:"type"` // Image
	URL     string `json:"url"`
	AltText string `json:"altText,omitempty"`
	Size    string `json:"size,omitempty"`
}

// InputText is a text box.
type InputText struct {
	Type         string `json:"type"` // Input.Text
	ID           string `json:"id"`
	Label        string `json:"label,omitempty"`
	Placeholder  string `json:"placeholder,omitempty"`
	Value        string `json:"value,omitempty"`
	IsMultiline  bool   `json:"isMultiline,omitempty"`
	MaxLength    int    `json:"maxLength,omitempty"`
	IsRequired   bool   `json:"isRequired,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// InputChoiceSet is a drop-down (compact) or radio list (expanded).
type InputChoiceSet struct {
	Type         string   `json:"type"` // Input.ChoiceSet
	ID           string   `json:"id"`
	Label        string   `json:"label,omitempty"`
	Placeholder  string   `json:"placeholder,omitempty"`
	Style        string   `json:"style,omitempty"` // compact, expanded
	Value        string   `json:"value,omitempty"`
	Choices      []Choice `json:"choices"`
	IsRequired   bool     `json:"isRequired,omitempty"`
	ErrorMessage string   `json:"errorMessage,omitempty"`
	Wrap         bool     `json:"wrap,omitempty"`
}

// Choice is one option of an InputChoiceSet.
type Choice struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// InputToggle is a check box. When IsRequired, the user must tick it.
type InputToggle struct {
	Type         string `json:"type"` // Input.Toggle
	ID           string `json:"id"`
	Title        string `json:"title"`
	Label        string `json:"label,omitempty"`
	ValueOn      string `json:"valueOn,omitempty"`
	ValueOff     string `json:"valueOff,omitempty"`
	Wrap         bool   `json:"wrap,omitempty"`
	IsRequired   bool   `json:"isRequired,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// ActionExecute sends an adaptiveCard/action invoke to the bot (Universal
// Actions); Teams merges the card's input values into Data.
type ActionExecute struct {
	Type  string         `json:"type"` // Action.Execute
	Title string         `json:"title,omitempty"`
	Verb  string         `json:"verb"`
	Data  map[string]any `json:"data,omitempty"`
	Style string         `json:"style,omitempty"` // default, positive, destructive
}

// ActionOpenURL opens a link (a Teams deep link opens inside Teams).
type ActionOpenURL struct {
	Type  string `json:"type"` // Action.OpenUrl
	Title string `json:"title"`
	URL   string `json:"url"`
}

// ActionSubmit submits a task module (dialog): Teams sends the inputs,
// merged into Data, in a task/submit invoke.
type ActionSubmit struct {
	Type  string         `json:"type"` // Action.Submit
	Title string         `json:"title"`
	Data  map[string]any `json:"data,omitempty"`
	Style string         `json:"style,omitempty"`
}

func (TextBlock) element()      {}
func (FactSet) element()        {}
func (ColumnSet) element()      {}
func (Container) element()      {}
func (Image) element()          {}
func (InputText) element()      {}
func (InputChoiceSet) element() {}
func (InputToggle) element()    {}

func (ActionExecute) action() {}
func (ActionOpenURL) action() {}
func (ActionSubmit) action()  {}
