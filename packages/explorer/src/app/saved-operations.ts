import type { SavedOperation } from '../operations';

/** Id of the JSON data block the server fills with the saved questions (see ../page.ts). */
const DATA_ELEMENT_ID = 'saved-operations';

/** The saved questions embedded in the page; an empty list when the block is missing or broken. */
export function readSavedOperations(): SavedOperation[] {
  const text = document.getElementById(DATA_ELEMENT_ID)?.textContent ?? '[]';
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? (parsed as SavedOperation[]) : [];
  } catch (error) {
    console.error('The saved questions embedded in the page are not valid JSON.', error);
    return [];
  }
}
