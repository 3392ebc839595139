import { type GraphiQLPlugin, useEditorContext } from '@graphiql/react';
import { useState } from 'react';
import type { SavedOperation } from '../operations';

export const SAVED_QUESTIONS_TITLE = 'Saved questions';

function SavedQuestionsIcon() {
  return (
    <svg height="1em" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M6 3h12v18l-6-4.5L6 21z" strokeLinejoin="round" />
      <path d="M9 8h6M9 11.5h4" strokeLinecap="round" />
    </svg>
  );
}

function matches(operation: SavedOperation, needle: string): boolean {
  return `${operation.name}\n${operation.description}`.toLowerCase().includes(needle);
}

function SavedQuestionsPanel({ operations }: { operations: SavedOperation[] }) {
  const { queryEditor, variableEditor, setOperationName } = useEditorContext({ nonNull: true, caller: SavedQuestionsPanel })!;
  const [filter, setFilter] = useState('');
  const [opened, setOpened] = useState<string | null>(null);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? operations.filter((operation) => matches(operation, needle)) : operations;

  // Like GraphiQL's history, this replaces the active tab's query and variables; the headers
  // stay, so a pasted bearer token survives switching questions.
  const open = (operation: SavedOperation) => {
    queryEditor?.setValue(operation.text);
    // GraphiQL learns the operation's name from the editor 100 ms after a change; a run started
    // sooner would send the previous query's name (the gateway: "Unknown operation named …").
    setOperationName(operation.name);
    variableEditor?.setValue(Object.keys(operation.variables).length ? JSON.stringify(operation.variables, null, 2) : '');
    setOpened(operation.name);
  };

  return (
    <section className="explorer-saved" aria-label={SAVED_QUESTIONS_TITLE}>
      <div className="explorer-saved-header">{SAVED_QUESTIONS_TITLE}</div>
      <p className="explorer-saved-hint">
        Click a question to open it in the editor, then run it with the play button (Ctrl-Enter). Your headers are kept.
      </p>
      {operations.length > 0 ? (
        <input
          className="explorer-saved-filter"
          type="search"
          placeholder="Filter questions"
          aria-label="Filter saved questions"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
      ) : (
        <p className="explorer-saved-hint">No saved questions were published with this page.</p>
      )}
      <ul className="explorer-saved-list">
        {shown.map((operation) => (
          <li key={operation.name}>
            <button
              type="button"
              className={operation.name === opened ? 'explorer-saved-item active' : 'explorer-saved-item'}
              data-operation={operation.name}
              onClick={() => open(operation)}
            >
              <span className="explorer-saved-name">{operation.name}</span>
              {operation.description ? <span className="explorer-saved-description">{operation.description}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      {operations.length > 0 && shown.length === 0 ? <p className="explorer-saved-hint">No question matches “{filter}”.</p> : null}
    </section>
  );
}

/** A GraphiQL sidebar plugin listing the saved questions; a click opens one in the editor. */
export function savedQuestionsPlugin(operations: SavedOperation[]): GraphiQLPlugin {
  const content = () => <SavedQuestionsPanel operations={operations} />;
  return { title: SAVED_QUESTIONS_TITLE, icon: SavedQuestionsIcon, content };
}
