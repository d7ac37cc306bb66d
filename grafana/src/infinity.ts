import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** One column the Infinity plugin takes out of each row: a JSON field, its title and type. */
export interface InfinityColumn {
  selector: string;
  text: string;
  type: 'string' | 'number' | 'timestamp';
}

/**
 * A query of the Infinity plugin (yesoreyeram-infinity-datasource): GET a JSON
 * endpoint relative to the datasource's URL and read `columns` from the array at
 * `rootSelector`. The SDK ships no type for this plugin's queries, so it is ours.
 */
export interface InfinityQuery {
  refId?: string;
  datasource?: DataSourceRef;
  type: 'json';
  source: 'url';
  parser: 'backend';
  format: 'table';
  url: string;
  url_options: { method: 'GET'; params: { key: string; value: string }[] };
  root_selector: string;
  columns: InfinityColumn[];
  _implementsDataqueryVariant(): void;
}

export class InfinityQueryBuilder implements Builder<Dataquery> {
  readonly #query: InfinityQuery;

  constructor(path: string) {
    this.#query = {
      type: 'json',
      source: 'url',
      parser: 'backend',
      format: 'table',
      url: path,
      url_options: { method: 'GET', params: [] },
      root_selector: '',
      columns: [],
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.#query.refId = refId;
    return this;
  }

  datasource(datasource: DataSourceRef): this {
    this.#query.datasource = datasource;
    return this;
  }

  param(key: string, value: string): this {
    this.#query.url_options.params.push({ key, value });
    return this;
  }

  rootSelector(selector: string): this {
    this.#query.root_selector = selector;
    return this;
  }

  column(selector: string, text: string, type: InfinityColumn['type'] = 'string'): this {
    this.#query.columns.push({ selector, text, type });
    return this;
  }

  build(): InfinityQuery {
    return this.#query;
  }
}
