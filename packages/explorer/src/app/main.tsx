import { GraphiQL } from 'graphiql';
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './explorer.css';
import { fetcher } from './fetcher';
import { readSavedOperations } from './saved-operations';
import { SAVED_QUESTIONS_TITLE, savedQuestionsPlugin } from './saved-questions';

const WELCOME = `# Zigong collective-economy graph: the analysts' explorer.
#
# Saved questions (bookmark icon, left) open ready-made queries.
# Documentation (book icon) browses the schema; Ctrl-Space completes fields.
# Signed-in requests: open Headers below and paste
#   { "Authorization": "Bearer <your token>" }
# then re-fetch the schema (circular arrow, left) if it did not load.

query Districts {
  regions(level: DISTRICT) {
    id
    name
  }
}
`;

/**
 * Opens the saved questions once the page is up, through their sidebar button. GraphiQL 4's
 * `visiblePlugin` prop marks the plugin active but leaves its pane collapsed (the pane's resize
 * state is fixed on the first render, before the prop reaches the plugin store), so analysts saw a
 * highlighted icon and no list; the button sets both. Tried for a few frames, as the sidebar's
 * plugins may land a render after this component's first effect.
 */
function OpenSavedQuestions() {
  useEffect(() => {
    let frames = 0;
    let handle = 0;
    const open = () => {
      const button = document.querySelector<HTMLButtonElement>(`.graphiql-sidebar button[aria-label="Show ${SAVED_QUESTIONS_TITLE}"]`);
      if (button) button.click();
      else if (++frames < 60) handle = requestAnimationFrame(open);
    };
    open();
    return () => cancelAnimationFrame(handle);
  }, []);
  return null;
}

const operations = readSavedOperations();
const savedQuestions = savedQuestionsPlugin(operations);
const container = document.getElementById('explorer');
if (!container) throw new Error('The explorer page has no #explorer element to render into.');

createRoot(container).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={[savedQuestions]}
    defaultQuery={WELCOME}
    defaultEditorToolsVisibility
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
  >
    <GraphiQL.Logo>
      Zigong explorer
      {operations.length > 0 ? <OpenSavedQuestions /> : null}
    </GraphiQL.Logo>
  </GraphiQL>,
);
