/** One page's texts in both languages; English is the fallback for a missing Polish one. */
export type Messages = { readonly en: Readonly<Record<string, string>>; readonly pl: Readonly<Record<string, string>> };
